"""Group live codes (群活码): one QR code that fills up to 5 customer groups in turn."""
