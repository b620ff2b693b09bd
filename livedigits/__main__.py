from livedigits.cli import main

main()
