package web

// LimitKey exposes limitKey to the external tests.
var LimitKey = limitKey
