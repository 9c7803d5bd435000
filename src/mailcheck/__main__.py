from mailcheck.launch import main

main()
