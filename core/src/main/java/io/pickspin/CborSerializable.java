package io.pickspin;

/** Marker for messages, events and snapshots that cross the cluster or reach the journal: serialized as Jackson CBOR. */
public interface CborSerializable {}
