"""The audit ledger: append-only events, Merkle tree, signed checkpoints, proofs."""
