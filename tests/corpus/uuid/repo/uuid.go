package uuid

// UUID is 16 bytes.
type UUID [16]byte

// Nil is the empty UUID.
var Nil UUID
