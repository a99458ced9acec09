// Package architecture holds no code: its test checks the import rules that
// docs/ARCHITECTURE.md states, so that they hold as the code grows.
package architecture
