"""What changed since the previous published export: records, endpoints and data queries."""
