"""Every URL of the forum, named, so links come from `url_for` and never from string building."""

from __future__ import annotations

from aiohttp import web

from forum import STATIC_DIR
from forum.web.handlers import (
    account,
    accounts,
    admin,
    admin_console,
    admin_crisis,
    directory,
    drafts,
    groups,
    health,
    inbox,
    joining,
    mod,
    notifications,
    own_posts,
    preferences,
    profiles,
    reports,
    safety,
    search,
    topics,
)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/healthz", health.healthz, name="healthz")
    r.add_get("/", directory.directory_page, name="directory")
    r.add_get("/register", accounts.register_page, name="register")
    r.add_post("/register", accounts.register)
    r.add_get("/login", accounts.login_page, name="login")
    r.add_post("/login", accounts.login)
    r.add_post("/logout", accounts.logout, name="logout")
    r.add_get("/g/{slug}", groups.group_page, name="group")
    r.add_post("/g/{slug}/join", joining.join_group, name="join_group")
    r.add_get("/g/{slug}/join", joining.join_page, name="join_page")
    r.add_post("/g/{slug}/guidelines", joining.accept_guidelines, name="accept_guidelines")
    r.add_post(
        "/mod/join-requests/{group_id}/{member_id}/{action}",
        joining.decide_request,
        name="mod_join_request",
    )
    r.add_post("/g/{slug}/name", groups.set_group_name, name="group_name")
    r.add_get("/m/{pseudonym}", profiles.profile_page, name="profile")
    r.add_get("/account", account.account_page, name="account")
    r.add_get("/account/export", account.export_data, name="account_export")
    r.add_post("/account/delete", account.delete_account, name="account_delete")
    r.add_get("/account/preferences", preferences.preferences_page, name="preferences")
    r.add_post("/account/preferences", preferences.save_preferences)
    r.add_get("/safety", safety.safety_page, name="safety")
    r.add_get("/t/{id}", topics.topic_page, name="topic")
    r.add_get("/p/{id}", topics.post_permalink, name="post")
    r.add_get("/search", search.search_page, name="search")
    r.add_get("/drafts", drafts.drafts_page, name="drafts")
    r.add_post("/drafts", drafts.create_draft)
    r.add_get("/drafts/{id}", drafts.draft_page, name="draft")
    r.add_post("/drafts/{id}", drafts.save_draft)
    r.add_post("/drafts/{id}/publish", drafts.publish_draft, name="publish_draft")
    r.add_post("/drafts/{id}/delete", drafts.delete_draft, name="delete_draft")
    r.add_get("/p/{id}/report", reports.report_page, name="report_post")
    r.add_post("/p/{id}/report", reports.report_post)
    r.add_get("/notifications", notifications.notifications_page, name="notifications")
    r.add_post("/notifications/read", notifications.mark_read, name="notifications_read")
    mod.setup_routes(app)
    r.add_get("/admin", admin_console.index, name="admin")
    r.add_get("/admin/moderators", admin_console.moderators_page, name="admin_moderator_load")
    r.add_get("/admin/members", admin_console.members_page, name="admin_members")
    r.add_get("/admin/log", admin_console.log_page, name="admin_log")
    r.add_get("/admin/lexicon", admin_crisis.lexicon_page, name="admin_lexicon")
    inbox.setup_routes(app)
    own_posts.setup_routes(app)
    r.add_get("/admin/groups", admin.groups_page, name="admin_groups")
    r.add_post("/admin/groups", admin.create_group)
    r.add_get("/admin/groups/{slug}", admin.group_page, name="admin_group")
    r.add_post("/admin/groups/{slug}", admin.save_group)
    r.add_post("/admin/groups/{slug}/archive", admin.archive_group, name="admin_archive")
    r.add_post("/admin/groups/{slug}/restore", admin.restore_group, name="admin_restore")
    r.add_get("/admin/groups/{slug}/health", admin_console.health_page, name="admin_health")
    r.add_post("/admin/groups/{slug}/moderators", admin.appoint_moderator, name="admin_moderators")
    r.add_post(
        "/admin/groups/{slug}/moderators/{member_id}/remove",
        admin.remove_moderator,
        name="admin_remove_moderator",
    )
    r.add_post("/admin/posts/{id}/reveal", admin.reveal_author, name="admin_reveal_author")
    r.add_get("/admin/reveals/{id}", admin.reveal_page, name="admin_reveal")
    r.add_get("/admin/groups/{slug}/crisis", admin_crisis.crisis_page, name="admin_crisis")
    r.add_post("/admin/groups/{slug}/crisis", admin_crisis.save_settings)
    r.add_post(
        "/admin/groups/{slug}/crisis/phrases", admin_crisis.add_phrase, name="admin_crisis_phrases"
    )
    r.add_post(
        "/admin/groups/{slug}/crisis/phrases/{id}/remove",
        admin_crisis.remove_phrase,
        name="admin_crisis_phrase_remove",
    )
    r.add_post(
        "/admin/groups/{slug}/crisis/resources",
        admin_crisis.add_resource,
        name="admin_crisis_resources",
    )
    r.add_post(
        "/admin/groups/{slug}/crisis/resources/{id}/remove",
        admin_crisis.remove_resource,
        name="admin_crisis_resource_remove",
    )
    r.add_static("/static", STATIC_DIR, name="static", append_version=True)
