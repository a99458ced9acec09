package bot

import (
	"context"
	"fmt"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/minyi-project/minyi/concern"
)

// Profile is what the bot says of itself before a chat starts, in zh and en.
type Profile struct {
	Description, DescriptionEN           string
	ShortDescription, ShortDescriptionEN string
}

// SetUp sets the bot's description and short description, and the residents'
// command menu for private chats, in Chinese (the default) and English.
func (t *Transport) SetUp(ctx context.Context, p Profile) error {
	for _, lang := range []struct{ code, description, short string }{
		{"", p.Description, p.ShortDescription},
		{"en", p.DescriptionEN, p.ShortDescriptionEN},
	} {
		if err := t.call(ctx, func(ctx context.Context) error {
			_, err := t.tg.SetMyDescription(ctx, &tgbot.SetMyDescriptionParams{Description: lang.description, LanguageCode: lang.code})
			return err
		}); err != nil {
			return fmt.Errorf("setMyDescription: %w", err)
		}
		if err := t.call(ctx, func(ctx context.Context) error {
			_, err := t.tg.SetMyShortDescription(ctx, &tgbot.SetMyShortDescriptionParams{ShortDescription: lang.short, LanguageCode: lang.code})
			return err
		}); err != nil {
			return fmt.Errorf("setMyShortDescription: %w", err)
		}
	}
	return t.setMenus(ctx, &models.BotCommandScopeAllPrivateChats{}, concern.RoleResident)
}

// SetRoleMenu gives a member the command menu of their role: in their private
// chat, and as a member of the staff group when there is one. Residents (a role
// revoked) go back to the residents' menu.
func (t *Transport) SetRoleMenu(ctx context.Context, userID int64, role concern.Role) error {
	scopes := []models.BotCommandScope{&models.BotCommandScopeChat{ChatID: userID}}
	if t.staffChat != 0 && (role == concern.RoleStaff || role == concern.RoleAdmin || role == concern.RoleResident) {
		scopes = append(scopes, &models.BotCommandScopeChatMember{ChatID: t.staffChat, UserID: userID})
	}
	for _, scope := range scopes {
		if role == concern.RoleResident {
			if err := t.deleteMenus(ctx, scope); err != nil {
				return err
			}
			continue
		}
		if err := t.setMenus(ctx, scope, role); err != nil {
			return err
		}
	}
	return nil
}

// setMenus sets a role's menu in a scope, in Chinese (for every client language)
// and English (for clients in English).
func (t *Transport) setMenus(ctx context.Context, scope models.BotCommandScope, role concern.Role) error {
	for _, lang := range []struct{ code, lang string }{{"", "zh"}, {"en", "en"}} {
		var cmds []models.BotCommand
		for _, c := range t.texts.Menu(role) {
			cmds = append(cmds, models.BotCommand{Command: c.Command, Description: c.Description.In(lang.lang)})
		}
		if err := t.call(ctx, func(ctx context.Context) error {
			_, err := t.tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, Scope: scope, LanguageCode: lang.code})
			return err
		}); err != nil {
			return fmt.Errorf("setMyCommands (%s, %s): %w", role, lang.lang, err)
		}
	}
	return nil
}

func (t *Transport) deleteMenus(ctx context.Context, scope models.BotCommandScope) error {
	for _, code := range []string{"", "en"} {
		if err := t.call(ctx, func(ctx context.Context) error {
			_, err := t.tg.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: scope, LanguageCode: code})
			return err
		}); err != nil {
			return fmt.Errorf("deleteMyCommands: %w", err)
		}
	}
	return nil
}
