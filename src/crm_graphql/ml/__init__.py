"""Numerical analytics on plain arrays and frames (numpy, pandas, statsmodels): no ORM, no GraphQL."""
