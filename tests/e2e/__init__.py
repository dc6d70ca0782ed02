"""Tests through child processes: CLIs, the demo, notebooks, a browser, crashes, the soak."""
