"""Wire format handling: SSE framing, chunk accumulation, response/usage/error normalization."""
