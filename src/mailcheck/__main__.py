from mailcheck.cli import main

main()
