from jjjcredit.cli.app import main

main()
