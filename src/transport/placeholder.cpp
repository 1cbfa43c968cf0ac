// Replaced by the transport sources as they land.
