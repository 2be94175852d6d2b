package awsshim

import "time"

// tokenBucket admits rate events per second with bursts of up to burst.
// It is not safe for concurrent use; the Shim guards it with its mutex.
type tokenBucket struct {
	rate   float64 // tokens added per second; 0 = unlimited
	burst  float64 // capacity
	tokens float64
	last   time.Time
}

// newTokenBucket returns a full bucket; burst below 1 means 1.
func newTokenBucket(rate float64, burst int) tokenBucket {
	b := float64(max(burst, 1))
	return tokenBucket{rate: rate, burst: b, tokens: b}
}

// take consumes a token at time now and reports whether one was available.
func (b *tokenBucket) take(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
