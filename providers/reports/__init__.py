"""The waiting-time side of the regional report and the trend counts that keep it fast."""
