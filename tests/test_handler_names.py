"""Handler names are stored in Redis as done-marks (which handlers of an event already ran), so a
name must not change when a module moves or a function is renamed: an event mid-retry would run
that handler again. The names are pinned in each router; this list catches an accidental change
(a deliberate one updates this list and says in its commit how stored marks are carried over)."""

from __future__ import annotations

from bot.app import ROUTERS

PINNED = [
    "handlers.welcome.welcome_new_customer",
    "handlers.welcome.welcome_half_added_customer",
    "handlers.channels.customer_came_through_channel",
    "handlers.channels.customer_half_came_through_channel",
    "handlers.channels.customer_left",
    "handlers.channels.staff_removed_customer",
    "handlers.profiles.customer_added",
    "handlers.profiles.customer_half_added",
    "handlers.profiles.customer_edited",
    "handlers.profiles.staff_deleted_customer",
    "handlers.profiles.customer_deleted_staff",
    "handlers.profiles.count_message",
    "handlers.sop.start_customer_sops",
    "handlers.sop.customer_left_staff",
    "handlers.sop.staff_removed_customer",
    "handlers.stats.count_new_customer",
    "handlers.stats.count_lost_by_customer",
    "handlers.stats.count_lost_by_staff",
    "handlers.stats.count_group_members",
    "handlers.fission.record_fission_invitee",
    "handlers.fission.record_fission_group_invitees",
    "handlers.fission.undo_fission_group_invitees",
    "handlers.fission.answer_fission_request",
    "handlers.fission.undo_fission_invitee_left",
    "handlers.fission.undo_fission_invitee_removed",
    "handlers.acquisition.count_acquisition_add",
    "handlers.acquisition.alert_acquisition_quota",
    "handlers.group_welcome.record_join_greeting",
    "handlers.group_codes.count_code_join",
    "handlers.group_codes.attribute_guided_join",
    "handlers.group_codes.count_code_leave",
    "handlers.names.forget_renamed_group",
    "handlers.names.forget_dismissed_group",
    "handlers.kf.pull_kf_messages",
    "handlers.archive.pull_archive",
    "handlers.archive.keep_archived_text",
    "handlers.inheritance.alert_member_left",
    "handlers.admin.run_admin_command",
    "handlers.chat.keep_chat_history",
    "handlers.chat.inspect_customer_text",
    "handlers.chat.app_text_is_chat_text",
    "handlers.tagging.tag_from_keywords",
    "handlers.tagging.corp_tags_changed",
    "handlers.sensitive.inspect_app_text",
    "handlers.unhandled.log_unknown",
]


def test_handler_names_are_pinned_in_order() -> None:
    assert [spec.name for router in ROUTERS for spec in router.handlers] == PINNED


def test_no_router_takes_its_name_from_its_module() -> None:
    for router in ROUTERS:
        assert router.name.startswith("handlers."), router.name
