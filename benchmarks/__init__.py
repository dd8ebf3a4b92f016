"""Benchmarks: each script runs its baseline in the same run and prints both."""
