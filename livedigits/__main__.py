from livedigits.cli.root import main

main()
