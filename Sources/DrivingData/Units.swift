/// Metres per second in one mile per hour: telemetry and drive.py speak mph, physics m/s.
public let metresPerSecondPerMph = 0.44704
