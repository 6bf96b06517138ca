"""Services: everything that talks to the chain or the job queue. Routes call these, never web3."""
