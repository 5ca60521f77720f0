"""The remote exposure scanner: targets -> probes -> fingerprint -> build intelligence -> exposure."""
