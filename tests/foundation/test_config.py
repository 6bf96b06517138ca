"""pilotkit.toml: defaults, validation messages, per-network compiler settings and `${VAR}` urls."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotkit.config import load_config, parse_config
from pilotkit.errors import ConfigError


def _write(root: Path, text: str) -> Path:
    (root / "pilotkit.toml").write_text(text)
    return root


def test_defaults_give_local_anvil_and_ganache(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, ""))
    assert config.root == tmp_path.resolve()
    assert config.default_network == "local"
    local, ganache = config.network("local"), config.network("ganache")
    assert (local.kind, local.chain_id, local.evm_version) == ("anvil", 31337, "prague")
    assert (ganache.kind, ganache.chain_id, ganache.evm_version) == ("ganache", 1337, "shanghai")
    assert local.is_local and ganache.is_local
    assert config.network() is local
    assert config.compiler.solc_version == "0.8.30"
    assert config.contracts_dir == tmp_path.resolve() / "contracts"
    assert config.build_dir == tmp_path.resolve() / "build"


def test_config_found_from_a_subfolder(tmp_path: Path) -> None:
    _write(tmp_path, '[project]\nname = "pilot"\n')
    nested = tmp_path / "contracts" / "cash"
    nested.mkdir(parents=True)
    assert load_config(nested).name == "pilot"


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no pilotkit.toml found"):
        load_config(tmp_path)


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "[project\nname = 1\n")
    with pytest.raises(ConfigError, match="pilotkit.toml"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("data", "key", "where"),
    [
        ({"project": {"nmae": "x"}}, "nmae", "[project]"),
        ({"compiler": {"optimiser_runs": 10}}, "optimiser_runs", "[compiler]"),
        ({"networks": {"local": {"chainid": 1}}}, "chainid", "[networks.local]"),
        ({"networks": {"local": {"gas": {"max_fee": 1}}}}, "max_fee", "[networks.local.gas]"),
    ],
)
def test_unknown_keys_are_rejected_by_name(tmp_path: Path, data: dict, key: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, tmp_path)
    message = str(caught.value)
    assert key in message and where in message


def test_bad_evm_version_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[compiler\] evm_version 'pragueish'.*prague"):
        parse_config({"compiler": {"evm_version": "pragueish"}}, tmp_path)
    with pytest.raises(ConfigError, match=r"\[networks.test\] evm_version 'london2'"):
        parse_config({"networks": {"test": {"kind": "anvil", "evm_version": "london2"}}}, tmp_path)


@pytest.mark.parametrize(
    ("compiler", "fragment"),
    [
        ({"solc_version": "latest"}, "solc_version"),
        ({"optimizer_runs": 0}, "optimizer_runs"),
        ({"optimizer_runs": True}, "optimizer_runs"),
        ({"remappings": ["no-equals-sign"]}, "remappings"),
    ],
)
def test_bad_compiler_values_are_rejected(tmp_path: Path, compiler: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        parse_config({"compiler": compiler}, tmp_path)


def test_rpc_network_without_chain_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[networks.sepolia\] needs chain_id"):
        parse_config({"networks": {"sepolia": {"kind": "rpc", "url": "https://rpc.example"}}}, tmp_path)


def test_rpc_network_without_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[networks.besu\] needs a url"):
        parse_config({"networks": {"besu": {"kind": "rpc", "chain_id": 2018}}}, tmp_path)


def test_unknown_network_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kind must be one of anvil, ganache, rpc"):
        parse_config({"networks": {"x": {"kind": "hardhat", "chain_id": 1}}}, tmp_path)


def test_default_network_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="default_network 'mainnet'"):
        parse_config({"project": {"default_network": "mainnet"}}, tmp_path)


def test_unknown_network_lookup_lists_the_configured_ones(tmp_path: Path) -> None:
    config = parse_config({}, tmp_path)
    with pytest.raises(ConfigError, match="unknown network 'sepolia'; configured networks: ganache, local"):
        config.network("sepolia")


def test_network_tables_override_defaults_key_by_key(tmp_path: Path) -> None:
    config = parse_config({"networks": {"ganache": {"chain_id": 5777}}}, tmp_path)
    ganache = config.network("ganache")
    assert (ganache.kind, ganache.chain_id, ganache.evm_version) == ("ganache", 5777, "shanghai")


def test_per_network_evm_version_selects_compiler_settings(tmp_path: Path) -> None:
    config = parse_config(
        {
            "networks": {
                "sepolia": {"kind": "rpc", "url": "https://x", "chain_id": 11155111, "evm_version": "cancun"},
                "plain": {"kind": "rpc", "url": "https://y", "chain_id": 5},
            }
        },
        tmp_path,
    )
    assert config.compiler_for(None).evm_version == "prague"
    assert config.compiler_for("ganache").evm_version == "shanghai"
    assert config.compiler_for("sepolia").evm_version == "cancun"
    assert config.compiler_for("plain").evm_version == "prague"
    shanghai = config.compiler_for("ganache")
    assert (shanghai.optimizer_runs, shanghai.remappings) == (
        config.compiler.optimizer_runs,
        config.compiler.remappings,
    )


def test_url_expands_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(
        {
            "networks": {
                "sepolia": {"kind": "rpc", "url": "https://${RPC_HOST}/v3/${RPC_KEY}", "chain_id": 11155111}
            }
        },
        tmp_path,
    )
    monkeypatch.setenv("RPC_HOST", "rpc.example.org")
    monkeypatch.setenv("RPC_KEY", "k3y")
    network = config.network("sepolia")
    assert network.url == "https://${RPC_HOST}/v3/${RPC_KEY}"  # stored unexpanded
    assert network.resolved_url() == "https://rpc.example.org/v3/k3y"


def test_missing_url_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(
        {"networks": {"sepolia": {"kind": "rpc", "url": "${PK_TEST_UNSET_URL}", "chain_id": 11155111}}},
        tmp_path,
    )
    monkeypatch.delenv("PK_TEST_UNSET_URL", raising=False)
    with pytest.raises(
        ConfigError, match="network 'sepolia' needs the environment variable PK_TEST_UNSET_URL"
    ):
        config.network("sepolia").resolved_url()


def test_gas_and_confirmation_settings_are_parsed(tmp_path: Path) -> None:
    config = parse_config(
        {
            "networks": {
                "besu": {
                    "kind": "rpc",
                    "url": "http://127.0.0.1:8545",
                    "chain_id": 2018,
                    "poa": True,
                    "confirmations": 3,
                    "gas": {"gas_price_gwei": 0},
                }
            }
        },
        tmp_path,
    )
    besu = config.network("besu")
    assert besu.poa and besu.confirmations == 3 and besu.gas.gas_price_gwei == 0
    assert not besu.is_local
    with pytest.raises(ConfigError, match="confirmations"):
        parse_config({"networks": {"local": {"confirmations": -1}}}, tmp_path)
