from exhunt.cli import main

raise SystemExit(main())
