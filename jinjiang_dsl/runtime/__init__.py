"""What evaluators use: exact money, rounding, intervals and trace records."""
