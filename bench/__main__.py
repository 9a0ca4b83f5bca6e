import sys

if sys.argv[1:2] == ['speed']:
    # the five workloads of issue 11 (see bench/speed.py)
    from .speed import main as speed_main
    sys.exit(speed_main(sys.argv[2:]))

from .runner import main

sys.exit(main())
