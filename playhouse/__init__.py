"""Optional extensions for orm (CockroachDB support and other add-ons)."""
