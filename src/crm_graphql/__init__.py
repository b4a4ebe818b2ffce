"""crm-graphql: one typed GraphQL API over a company's customer relationships."""

__version__ = "0.1.0"
