"""Signals from other apps that move a programme's payments on (filled in with the voucher channel)."""
