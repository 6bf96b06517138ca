"""Compiling Solidity sources into artifacts (see `build.Compiler`)."""
