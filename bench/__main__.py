import sys

if sys.argv[1:2] == ['speed']:
    # the five workloads of issue 11 (see bench/speed.py)
    from .speed import main as speed_main
    sys.exit(speed_main(sys.argv[2:]))

if sys.argv[1:2] == ['async']:
    # concurrent primary-key reads: orm-async, raw asyncpg, orm-sync on threads (issue 15)
    from .async_get import main as async_main
    sys.exit(async_main(sys.argv[2:]))

from .runner import main

sys.exit(main())
