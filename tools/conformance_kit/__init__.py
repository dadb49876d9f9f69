"""The memoryfs conformance kit: checks any implementation of the course's block server and
RAID-5 shell against the golden runs of the course's Python programs. Standard library only.
Entry point: ``cli.main``; the command is ``tools/conformance``."""
