package transport

import (
	"errors"
	"strings"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// clientTypes lists the frame types each side may send.
var (
	visitorTypes = []string{wire.FrameHello, wire.FrameStart, wire.FrameSend, wire.FrameSync, wire.FrameTyping, wire.FrameRead, wire.FramePresence, wire.FrameRate, wire.FrameClose, wire.FramePage, wire.FramePing, wire.FramePong, wire.FrameInviteReply, wire.FrameTranscript, wire.FrameCart, wire.FrameHistory}
	agentTypes   = []string{wire.FrameHello, wire.FrameStart, wire.FrameSend, wire.FrameSync, wire.FrameTyping, wire.FrameRead, wire.FramePresence, wire.FrameClose, wire.FrameAssign, wire.FramePing, wire.FramePong, wire.FrameHistory, wire.FrameNote, wire.FrameTransfer, wire.FrameStats, wire.FrameBlock, wire.FrameUnblock, wire.FrameBlocks, wire.FrameUnwatch, wire.FrameAction, wire.FrameExport, wire.FrameErase, wire.FrameTag, wire.FrameUntag, wire.FrameTags, wire.FrameSearch}
)

// fieldErr is an invalid error that names the field that caused it.
func fieldErr(field string, err error) *wire.Error {
	return &wire.Error{Code: wire.CodeInvalid, Message: err.Error(), Field: field}
}

// errorFrame turns err into an error frame answering request id.
func errorFrame(id string, err error) *wire.ServerFrame {
	return &wire.ServerFrame{Type: wire.FrameError, ID: id, Error: errorBody(err)}
}

// errorBody maps an error to its wire form. Errors of the chat package map
// to their codes; anything unexpected is "internal" without details.
func errorBody(err error) *wire.ErrorBody {
	var pe *wire.Error
	var rl *rateLimitError
	switch {
	case errors.As(err, &rl):
		return &wire.ErrorBody{Code: wire.CodeRateLimited, Message: "too many frames; slow down", RetryAfterMS: rl.retryAfter.Milliseconds() + 1}
	case errors.As(err, &pe):
		return &wire.ErrorBody{Code: pe.Code, Message: pe.Message, Field: pe.Field}
	case errors.Is(err, ErrTokenExpired):
		return &wire.ErrorBody{Code: wire.CodeTokenExpired, Message: err.Error()}
	case errors.Is(err, errForbidden):
		return &wire.ErrorBody{Code: wire.CodeForbidden, Message: "you may not run this action here"}
	case errors.Is(err, ErrUnauthorized):
		return &wire.ErrorBody{Code: wire.CodeUnauthorized, Message: err.Error()}
	case errors.Is(err, chat.ErrBlocked):
		return &wire.ErrorBody{Code: wire.CodeBlocked, Message: "chat is not available to this visitor"}
	case errors.Is(err, chat.ErrNotFound):
		return &wire.ErrorBody{Code: wire.CodeNotFound, Message: "no such conversation"}
	case errors.Is(err, chat.ErrConfirmationSent):
		return &wire.ErrorBody{Code: wire.CodeEmailConfirm, Message: "check your inbox: open the link we sent to confirm the address"}
	case errors.Is(err, chat.ErrEmailUnproven):
		return &wire.ErrorBody{Code: wire.CodeEmailUnproven, Message: "this address cannot be used; log in to use your account's address"}
	case errors.Is(err, chat.ErrEmailLimit):
		return &wire.ErrorBody{Code: wire.CodeEmailLimit, Message: "the daily limit of emails is reached; try again tomorrow"}
	case errors.Is(err, chat.ErrEmailSuppressed):
		return &wire.ErrorBody{Code: wire.CodeEmailSuppressed, Message: "mail to this address bounced or was refused; use another address"}
	case errors.Is(err, chat.ErrAgentBusy):
		return &wire.ErrorBody{Code: wire.CodeAgentBusy, Message: err.Error()}
	case errors.Is(err, chat.ErrKeyReused):
		return &wire.ErrorBody{Code: wire.CodeKeyReused, Message: "the key is used by another message of the conversation; send with a new key"}
	case errors.Is(err, ErrFileTooLarge):
		return &wire.ErrorBody{Code: wire.CodeTooLarge, Message: strings.TrimPrefix(err.Error(), "transport: ")}
	case errors.Is(err, ErrFileType):
		return &wire.ErrorBody{Code: wire.CodeFileType, Message: strings.TrimPrefix(err.Error(), "transport: ")}
	case errors.Is(err, ErrFileRefused):
		return &wire.ErrorBody{Code: wire.CodeFileRefused, Message: strings.TrimPrefix(err.Error(), "transport: ")}
	case errors.Is(err, chat.ErrInvalid):
		return &wire.ErrorBody{Code: wire.CodeInvalid, Message: err.Error()}
	case errors.Is(err, chat.ErrClosed):
		return &wire.ErrorBody{Code: wire.CodeClosed, Message: "the conversation is closed"}
	case errors.Is(err, chat.ErrConflict):
		return &wire.ErrorBody{Code: wire.CodeConflict, Message: "a concurrent change won; retry"}
	case errors.Is(err, errShuttingDown):
		return &wire.ErrorBody{Code: wire.CodeUnavailable, Message: "the server is shutting down; reconnect"}
	}
	return &wire.ErrorBody{Code: wire.CodeInternal, Message: "internal error"}
}
