"""Data quality (rules, findings returned to the source, scores) and citizens' objections (数据异议)."""
