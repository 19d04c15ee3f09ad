from lightcode.cli import main

main()
