"""The shared kernel: only what two or more services need."""
