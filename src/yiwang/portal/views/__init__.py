"""HTML views of the citizen portal: each parses input, calls selectors or one service, and renders."""
