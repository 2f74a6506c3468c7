"""The loop after the purchase: purchase occasions, repeat purchases, retention, lifecycle,
customers drifting away, and RFM loyalty segments."""
