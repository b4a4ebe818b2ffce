from crm_graphql.cli import main

main()
