// Package relay holds what Parley's network brokers share: the versioned
// envelope in which events travel, and the fan-out from one connection's
// subscription to the deliver functions of a broker's subscribers.
package relay
