// Package tghtml holds what minyi does with Telegram's HTML subset (the
// <b>, <i>, <a> of a digest): turning it back into plain text, for the
// console, the printable brief and the chunks cut for Telegram.
package tghtml

import (
	"html"
	"regexp"
)

var tagPattern = regexp.MustCompile(`</?[a-z]+[^>]*>`)

// StripOnlyTags takes the tags out and leaves the entities (&amp;) as they are.
func StripOnlyTags(s string) string { return tagPattern.ReplaceAllString(s, "") }

// StripTags turns Telegram HTML into plain text.
func StripTags(s string) string { return html.UnescapeString(StripOnlyTags(s)) }
