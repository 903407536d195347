"""Every Redis key the project uses, in one place.

All keys of one corp share the hash tag `{corp_id}` so that multi-key scripts and
transactions stay on one slot in Redis Cluster: `scrm:{corp_id}:...`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Builds the keys of one corp under one prefix (tests use a unique prefix each)."""

    corp_id: str
    prefix: str = "scrm"

    @property
    def base(self) -> str:
        return f"{self.prefix}:{{{self.corp_id}}}"

    def pattern(self) -> str:
        """A SCAN pattern matching every key of this corp and prefix."""
        return f"{self.prefix}:{{{self.corp_id}}}:*"

    # -- callback ingest and pipeline --------------------------------------------------------
    @property
    def events(self) -> str:
        return f"{self.base}:events"

    @property
    def dead_letters(self) -> str:
        return f"{self.base}:events:dead"

    @property
    def retry_schedule(self) -> str:
        """Sorted set: stream entry id -> unix time it may be retried."""
        return f"{self.base}:events:retry"

    def handlers_done(self, entry_id: str) -> str:
        """Set of handler names that already succeeded for one stream entry."""
        return f"{self.base}:events:done:{entry_id}"

    def dedup(self, fingerprint: str) -> str:
        return f"{self.base}:dedup:{fingerprint}"

    # -- WeCom credentials -------------------------------------------------------------------
    def access_token(self, secret: str) -> str:
        return f"{self.base}:token:{secret_id(secret)}"

    def access_token_lock(self, secret: str) -> str:
        return f"{self.base}:token:{secret_id(secret)}:lock"

    def ticket(self, kind: str, secret: str) -> str:
        return f"{self.base}:ticket:{kind}:{secret_id(secret)}"

    def ticket_lock(self, kind: str, secret: str) -> str:
        return f"{self.base}:ticket:{kind}:{secret_id(secret)}:lock"

    def api_pace(self, api: str, second: int) -> str:
        """Counter with a short TTL: calls of one API granted in one wall-clock second."""
        return f"{self.base}:pace:{api}:{second}"

    # -- word library (sensitive words) ----------------------------------------------------------
    @property
    def words(self) -> str:
        """Hash: listed word -> category."""
        return f"{self.base}:words"

    @property
    def words_allow(self) -> str:
        """Set of allowed phrases."""
        return f"{self.base}:words:allow"

    @property
    def words_actions(self) -> str:
        """Hash: category -> block / mask / flag, where it differs from the default."""
        return f"{self.base}:words:actions"

    @property
    def words_detectors(self) -> str:
        """Set of contact-detail detectors switched on."""
        return f"{self.base}:words:detectors"

    @property
    def words_version(self) -> str:
        return f"{self.base}:words:version"

    @property
    def words_seeded(self) -> str:
        """Set once the starter list was added, so a deliberately emptied library stays empty."""
        return f"{self.base}:words:seeded"

    @property
    def words_changed(self) -> str:
        """Pub/sub channel: the new version after every change."""
        return f"{self.base}:words:changed"

    @property
    def intercept_rules(self) -> str:
        """Hash: WeCom intercept rule id -> JSON list of the words synced into it."""
        return f"{self.base}:words:intercept"

    @property
    def intercept_sync(self) -> str:
        """Hash: the intercept rules' sync state (bot.text.intercept_auto): synced_version,
        synced_at, words, rejected, error, retry_at, attempts, seen_version, seen_at."""
        return f"{self.base}:words:intercept:sync"

    @property
    def intercept_sync_lock(self) -> str:
        """Held by the one process writing WeCom's intercept rules."""
        return f"{self.base}:words:intercept:lock"

    @property
    def text_hits(self) -> str:
        """Stream: sensitive-word hits in inbound chat text."""
        return f"{self.base}:text:hits"

    def text_alert(self, fingerprint: str) -> str:
        """Marks an admin alert as sent, so the same hit alerts once an hour."""
        return f"{self.base}:text:alert:{fingerprint}"

    # -- welcome templates ---------------------------------------------------------------------
    @property
    def welcome_templates(self) -> str:
        """Hash: template id -> template JSON."""
        return f"{self.base}:welcome:templates"

    @property
    def welcome_scopes(self) -> str:
        """Hash: "channel:<state>" / "staff:<userid>" / "default:" -> template id."""
        return f"{self.base}:welcome:scopes"

    @property
    def welcome_departments(self) -> str:
        """Set of department ids that have a template, so most adds skip the department lookup."""
        return f"{self.base}:welcome:departments"

    @property
    def welcome_stats(self) -> str:
        """Hash: "template:<id>:<outcome>" and "channel:<state>:<outcome>" -> count."""
        return f"{self.base}:welcome:stats"

    def welcome_daily(self, day: str) -> str:
        """Hash of one corp-time day ("YYYY-MM-DD"): the same fields as `welcome_stats`, plus
        "error:<errcode>" for welcomes that failed; kept 8 days for the daily digest."""
        return f"{self.base}:welcome:daily:{day}"

    def welcome_digest_sent(self, day: str) -> str:
        """Set when the digest of that day went out, so exactly one process sends it once."""
        return f"{self.base}:welcome:digest:{day}"

    # -- group live codes ------------------------------------------------------------------------
    @property
    def group_codes(self) -> str:
        """Hash: group live code id -> code JSON (its WeCom config id and QR code included)."""
        return f"{self.base}:groupcodes"

    def group_code_joins(self, day: str) -> str:
        """Hash of one corp-time day ("YYYY-MM-DD"): group live code id -> customers who
        joined a group through it; kept 400 days."""
        return f"{self.base}:groupcodes:joins:{day}"

    def group_code_leaves(self, day: str) -> str:
        """Hash of one corp-time day: group live code id -> customers who left a group they
        had joined through it; kept 400 days."""
        return f"{self.base}:groupcodes:leaves:{day}"

    def group_code_members(self, chat_id: str) -> str:
        """Hash with a TTL: member of this group -> the group live code they joined through
        (read when they leave, so the leave counts for that code)."""
        return f"{self.base}:groupcodes:members:{chat_id}"

    def group_code_chats(self, code_id: str) -> str:
        """Set with a TTL: the groups customers joined through this code — those not among
        its configured groups are the ones WeCom created when the others were full."""
        return f"{self.base}:groupcodes:chats:{code_id}"

    @property
    def group_code_qr(self) -> str:
        """Hash: group live code id -> the media-library ref of its QR image, kept on its
        first use as a welcome attachment (WeCom's image URL can't be sent as one)."""
        return f"{self.base}:groupcodes:qr"

    def group_code_guided(self, day: str) -> str:
        """Hash of one corp-time add day: channel id -> customers added through that channel
        that day who later joined a group through a group live code, and "<channel>|<code
        id>" -> the same per code; kept 400 days (引导入群: the funnel's last step)."""
        return f"{self.base}:groupcodes:guided:{day}"

    def group_code_guided_who(self, day: str) -> str:
        """Set of one add day: the customers counted in `group_code_guided` (once each)."""
        return f"{self.base}:groupcodes:guided:who:{day}"

    @property
    def group_codes_lock(self) -> str:
        """Held by the one process checking how full each group live code's groups are."""
        return f"{self.base}:groupcodes:lock"

    def group_code_warned(self, code_id: str, day: str) -> str:
        """String with a TTL: admins were told today that this code's groups are all full."""
        return f"{self.base}:groupcodes:warned:{code_id}:{day}"

    def group_code_seen(self, mark: str) -> str:
        """String with a TTL: this join event was counted already (no double count)."""
        return f"{self.base}:groupcodes:seen:{mark}"

    # -- referral fission ----------------------------------------------------------------------
    @property
    def fission_activities(self) -> str:
        """Hash: fission activity id -> activity JSON."""
        return f"{self.base}:fission:activities"

    @property
    def fission_codes(self) -> str:
        """Hash: a personal code's State ("fx:<activity>:<participant>") -> "<activity>|<the
        participant's external userid>" (who invited an add through that code)."""
        return f"{self.base}:fission:codes"

    def fission_participants(self, activity_id: str) -> str:
        """Hash: participant's external userid -> their personal code (JSON)."""
        return f"{self.base}:fission:participants:{activity_id}"

    def fission_invitees(self, activity_id: str) -> str:
        """Hash: invitee's external userid -> "<status>|<inviter>|<added at>" (pending,
        counted, undone, not_new): each invitee counts for one inviter, once."""
        return f"{self.base}:fission:invitees:{activity_id}"

    def fission_waiting(self, activity_id: str) -> str:
        """Hash: participant -> their invitees still inside the stay window (so a
        participant's progress is read without reading every invitee)."""
        return f"{self.base}:fission:waiting:{activity_id}"

    def fission_progress(self, activity_id: str) -> str:
        """Hash: participant -> invitees counted for them (past the stay window)."""
        return f"{self.base}:fission:progress:{activity_id}"

    @property
    def fission_due(self) -> str:
        """Sorted set: "<activity>|<invitee>" scored by when their stay window ends."""
        return f"{self.base}:fission:due"

    def fission_rewards(self, activity_id: str) -> str:
        """Hash: participant -> their reward (JSON), set once: the goal's reward is issued
        exactly once whatever retries or processes there are."""
        return f"{self.base}:fission:rewards:{activity_id}"

    def fission_coupons(self, activity_id: str) -> str:
        """Set: the activity's unissued coupon codes (one is taken per reward)."""
        return f"{self.base}:fission:coupons:{activity_id}"

    @property
    def fission_lock(self) -> str:
        """Held by the one process confirming invitees whose stay window ended."""
        return f"{self.base}:fission:lock"

    # -- mass messages ---------------------------------------------------------------------------
    def mass_quota(self, period: str) -> str:
        """Hash of one quota period ("m2026-12", "w2026-49", "d2026-12-05"): customer or group
        -> mass messages scheduled to reach it then; expires after the period."""
        return f"{self.base}:mass:quota:{period}"

    def mass_day(self, day: str) -> str:
        """Hash of one corp day: customer or group -> mass messages scheduled to reach it that
        day (to leave out who already got one today or this week); kept 8 days."""
        return f"{self.base}:mass:day:{day}"

    @property
    def mass_tasks(self) -> str:
        """Hash: mass-send task id -> its MassTask JSON (bot.mass.store)."""
        return f"{self.base}:mass:tasks"

    def mass_parts(self, task_id: str) -> str:
        """Hash of a mass-send task: part number -> JSON of one WeCom task (member, size,
        state, msgid, fail_list count, error), plus "n" the number of parts."""
        return f"{self.base}:mass:parts:{task_id}"

    def mass_targets(self, task_id: str, part: str) -> str:
        """List: the recipients of one part, staged until its WeCom task is made."""
        return f"{self.base}:mass:targets:{task_id}:{part}"

    def mass_recipients(self, task_id: str) -> str:
        """Set: every recipient staged for a task so far (each goes once), until all its
        parts are made."""
        return f"{self.base}:mass:recipients:{task_id}"

    def mass_left_out(self, task_id: str) -> str:
        """Hash of a mass-send task: "<reason>" -> count and "<reason>:ids" -> JSON of the
        first ids left out for it (quota, recent, not a friend, refused)."""
        return f"{self.base}:mass:left:{task_id}"

    def mass_results(self, task_id: str) -> str:
        """Hash of a mass-send task: "<part>|<member>" -> JSON of that member's sending
        (status, send time, per-recipient counts), as last read from WeCom."""
        return f"{self.base}:mass:results:{task_id}"

    @property
    def mass_results_lock(self) -> str:
        """Held by the one process reading mass-send results back from WeCom."""
        return f"{self.base}:mass:results-lock"

    @property
    def mass_lock(self) -> str:
        """Held by the one process creating due mass tasks and reading their results."""
        return f"{self.base}:mass:lock"

    # -- moments tasks -------------------------------------------------------------------------
    @property
    def moments(self) -> str:
        """Hash: moments task id -> its MomentTask JSON (bot.moments.store)."""
        return f"{self.base}:moments:tasks"

    def moment_members(self, task_id: str) -> str:
        """Hash of a moments task: member -> JSON of their post as last read (published,
        customers who can see it, comments, likes, when last reminded)."""
        return f"{self.base}:moments:members:{task_id}"

    @property
    def moments_lock(self) -> str:
        """Held by the one process creating moments tasks and reading their state."""
        return f"{self.base}:moments:lock"

    # -- inheritance -----------------------------------------------------------------------------
    @property
    def inherit_jobs(self) -> str:
        """Hash: inheritance id -> JSON of one hand-over (kind, member leaving, takers, rule)."""
        return f"{self.base}:inherit:jobs"

    def inherit_customers(self, job_id: str) -> str:
        """Hash of one hand-over: customer -> JSON {to, errcode, status, at, followed}."""
        return f"{self.base}:inherit:customers:{job_id}"

    def inherit_groups(self, job_id: str) -> str:
        """Hash of one hand-over: group chat id -> JSON {to, state, errcode, at}."""
        return f"{self.base}:inherit:groups:{job_id}"

    @property
    def inherit_history(self) -> str:
        """Hash: customer -> JSON list of the times an on-job transfer of them was accepted
        (WeCom allows two in 90 days)."""
        return f"{self.base}:inherit:history"

    @property
    def inherit_lock(self) -> str:
        """Held by the one process sending transfers or reading their results."""
        return f"{self.base}:inherit:lock"

    # -- WeCom's own statistics ------------------------------------------------------------------
    def wecom_stats(self, day: str) -> str:
        """Hash of one corp day ("YYYY-MM-DD"): member -> JSON of WeCom's behaviour figures
        that day, "groups" -> JSON of the groups' figures; kept 400 days (WeCom keeps 180)."""
        return f"{self.base}:wecomstats:{day}"

    @property
    def wecom_stats_lock(self) -> str:
        """Held by the one process pulling WeCom's statistics."""
        return f"{self.base}:wecomstats:lock"

    # -- the chat archive ------------------------------------------------------------------------
    @property
    def archive_seq(self) -> str:
        """String: the seq of the last archived message pulled, saved with its batch."""
        return f"{self.base}:archive:seq"

    def archive_conversation(self, conversation: str) -> str:
        """Sorted set of one archived conversation ("<member>|<customer>" or "room:<chat id>"):
        JSON of each message (msgid, sender, text, member, customer[, file]) by send time."""
        return f"{self.base}:archive:conv:{conversation}"

    @property
    def archive_conversations(self) -> str:
        """Sorted set: conversation -> its latest message's time (the list admins browse)."""
        return f"{self.base}:archive:convs"

    @property
    def archive_lock(self) -> str:
        """Held by the one process pulling the chat archive."""
        return f"{self.base}:archive:lock"

    @property
    def archive_failed(self) -> str:
        """List (capped): JSON of archived items that couldn't be opened (seq, msgid, why)."""
        return f"{self.base}:archive:failed"

    @property
    def archive_consent(self) -> str:
        """Hash: "<member>|<customer>" -> JSON {v: agreed, at} as WeCom last said (a day)."""
        return f"{self.base}:archive:consent"

    @property
    def archive_room_consent(self) -> str:
        """Hash: group chat id -> JSON {v: [customers who agreed], at} as WeCom said (a day)."""
        return f"{self.base}:archive:roomconsent"

    # -- customer acquisition links -----------------------------------------------------------
    @property
    def acquisition_links(self) -> str:
        """Hash: our link id -> link JSON (WeCom's link id and URL included)."""
        return f"{self.base}:acq:links"

    def acquisition_adds(self, day: str) -> str:
        """Hash of one corp-time day: link id -> customers added through it; kept 400 days."""
        return f"{self.base}:acq:adds:{day}"

    def acquisition_seen(self, mark: str) -> str:
        """String with a TTL: this add event was counted already."""
        return f"{self.base}:acq:seen:{mark}"

    def acquisition_alerted(self, change: str, day: str) -> str:
        """String with a TTL: admins were told of this quota change today."""
        return f"{self.base}:acq:alerted:{change}:{day}"

    # -- store codes ---------------------------------------------------------------------------
    @property
    def store_campaigns(self) -> str:
        """Hash: store-code campaign id -> campaign JSON (its radius and backup code)."""
        return f"{self.base}:stores:campaigns"

    def store_list(self, campaign_id: str) -> str:
        """Hash: store id -> store JSON, the stores of one campaign (replaced whole by an
        import)."""
        return f"{self.base}:stores:list:{campaign_id}"

    @property
    def store_lists_version(self) -> str:
        """Counter: bumped with every change of any campaign's store list (a configuration
        import watches it, as the lists' keys can't be named before they are read)."""
        return f"{self.base}:stores:version"

    def store_list_previous(self, campaign_id: str) -> str:
        """Hash: the campaign's store list before the last import (what 撤销 puts back)."""
        return f"{self.base}:stores:previous:{campaign_id}"

    def store_views(self, day: str) -> str:
        """Hash of one corp-time day: "<campaign>|<store id>" -> times the landing page showed
        that store's code ("…|page": page loads, "…|backup": the backup shown); kept 400 days.
        Only existing campaigns and stores get fields: visitors can't add any."""
        return f"{self.base}:stores:views:{day}"

    # -- channel codes -------------------------------------------------------------------------
    @property
    def channels(self) -> str:
        """Hash: channel id -> channel JSON."""
        return f"{self.base}:channels"

    def channel_adds(self, channel_id: str, day: str) -> str:
        """Hash: staff userid -> customers added through the channel that day."""
        return f"{self.base}:channels:adds:{channel_id}:{day}"

    @property
    def channel_customers(self) -> str:
        """Hash: "userid|external_userid" -> the channel the customer came through."""
        return f"{self.base}:channels:customers"

    @property
    def channel_stats(self) -> str:
        """Hash: "<channel id>:adds" / "<channel id>:deletions" -> count."""
        return f"{self.base}:channels:stats"

    @property
    def channels_lock(self) -> str:
        """Held by the one process refreshing every channel's staff each minute."""
        return f"{self.base}:channels:lock"

    # -- script library (话术库) --------------------------------------------------------------
    @property
    def scripts(self) -> str:
        """Hash: script id -> script JSON (deleted scripts are removed; their history stays)."""
        return f"{self.base}:scripts"

    def script_history(self, script_id: str) -> str:
        """List, newest first: the script's earlier versions as JSON (at most HISTORY_KEEP)."""
        return f"{self.base}:scripts:history:{script_id}"

    @property
    def script_sends(self) -> str:
        """Sorted set: script id -> times sent from the sidebar."""
        return f"{self.base}:scripts:sends"

    def script_recent(self, userid: str) -> str:
        """List, newest first: the script ids one staff member sent lately."""
        return f"{self.base}:scripts:recent:{userid}"

    @property
    def script_seq(self) -> str:
        """Counter of script changes, raised with each `script_changes` entry (gap detection)."""
        return f"{self.base}:scripts:seq"

    @property
    def script_changes(self) -> str:
        """Stream of changed script ids, so every process's search index catches up in place."""
        return f"{self.base}:scripts:changes"

    # -- product catalogue ---------------------------------------------------------------------
    @property
    def products(self) -> str:
        """Hash: product id -> product JSON."""
        return f"{self.base}:products"

    # -- uploaded media ------------------------------------------------------------------------
    def media_blob(self, ref: str) -> str:
        """Hash: kind, filename and base64 content of one file an admin attached."""
        return f"{self.base}:media:blob:{ref}"

    @property
    def media_ids(self) -> str:
        """Hash: media ref -> JSON {"media_id", "uploaded_at"} of its current WeCom upload."""
        return f"{self.base}:media:ids"

    @property
    def media_lock(self) -> str:
        """Held by the one process re-uploading media before WeCom forgets it."""
        return f"{self.base}:media:lock"

    # -- staff directory -----------------------------------------------------------------------
    @property
    def staff_departments(self) -> str:
        """Hash: staff userid -> JSON {"departments": [main first…], "name", "at": time read}."""
        return f"{self.base}:staff:departments"

    @property
    def group_names(self) -> str:
        """Hash: customer group chat id -> JSON {"name", "at": time read} (bot.names)."""
        return f"{self.base}:groups:names"

    # -- group welcomes ------------------------------------------------------------------------
    @property
    def group_welcomes(self) -> str:
        """Hash: local group welcome id -> GroupWelcome JSON (with WeCom's template_id)."""
        return f"{self.base}:groupwelcome:templates"

    def group_welcome_lock(self, welcome_id: str) -> str:
        """Held while one group welcome is written to WeCom and then to Redis, so they agree."""
        return f"{self.base}:groupwelcome:lock:{welcome_id}"

    @property
    def group_greeting_chats(self) -> str:
        """Hash: chat id, or "*" for every group -> the group welcome id greeting its joiners."""
        return f"{self.base}:groupwelcome:chats"

    @property
    def group_greetings(self) -> str:
        """Stream: customers who joined a group with a greeting, for the SOP/mass-message flow."""
        return f"{self.base}:groupwelcome:greetings"

    @property
    def group_greeting_stats(self) -> str:
        """Hash: "<group welcome id>:events" / "<group welcome id>:members" -> count."""
        return f"{self.base}:groupwelcome:stats"

    def group_greeting_seen(self, entry_id: str) -> str:
        """String with a TTL: this event stream entry was recorded already (no double count)."""
        return f"{self.base}:groupwelcome:seen:{entry_id}"

    # -- sidebar -------------------------------------------------------------------------------
    def sidebar_session(self, digest: str) -> str:
        """String with a TTL: one signed-in sidebar session as JSON, under a hash of its id
        (so a copy of Redis holds no usable session cookie)."""
        return f"{self.base}:sidebar:session:{digest}"

    def sidebar_oauth_state(self, digest: str) -> str:
        """String with a TTL: the OAuth2 `state` with this hash opened a session already (it is
        written only after WeCom vouched for the sign-in; states in flight are not stored)."""
        return f"{self.base}:sidebar:oauth:{digest}"

    # -- console -------------------------------------------------------------------------------
    def console_session(self, digest: str) -> str:
        """String with a TTL: one signed-in console session as JSON, under a hash of its id."""
        return f"{self.base}:console:session:{digest}"

    def console_oauth_state(self, digest: str) -> str:
        """String with a TTL: the console sign-in `state` with this hash was used (written only
        after WeCom vouched for the sign-in)."""
        return f"{self.base}:console:oauth:{digest}"

    # -- corp tags and auto-tagging ------------------------------------------------------------
    @property
    def corp_tags(self) -> str:
        """Hash: "<group name>\x1f<tag name>" -> WeCom tag id, and "id:<tag id>" -> "group/name"."""
        return f"{self.base}:tags:corp"

    @property
    def corp_tags_lock(self) -> str:
        """Held while one process reads the tag list or creates a missing tag."""
        return f"{self.base}:tags:corp:lock"

    @property
    def tag_rules(self) -> str:
        """Hash: rule id -> tag rule JSON."""
        return f"{self.base}:tags:rules"

    @property
    def tag_rules_version(self) -> str:
        """Raised on every rule change, so each process rebuilds its matcher once."""
        return f"{self.base}:tags:rules:version"

    def tag_hits(self, rule_id: str, external_userid: str) -> str:
        """Sorted set: message id -> sent time, of one customer's messages matching a rule."""
        return f"{self.base}:tags:hits:{rule_id}:{external_userid}"

    def tag_customer_lock(self, external_userid: str) -> str:
        """Held while the bot checks and marks one customer's tags, so a tag is marked once."""
        return f"{self.base}:tags:lock:{external_userid}"

    @property
    def autotag_log(self) -> str:
        """Stream: every automatic tag, with the rule and the message that fired it."""
        return f"{self.base}:tags:log"

    # -- signed ingest (/ingest/*) ----------------------------------------------------------
    def ingest_seen(self, digest: str) -> str:
        """String with a TTL: a signed ingest request already taken, so a replay is refused."""
        return f"{self.base}:ingest:seen:{digest}"

    # -- customer profiles ---------------------------------------------------------------------
    def profile(self, external_userid: str) -> str:
        """String: the customer's profile as one MessagePack document (`bot.profiles.codec`),
        written by `ProfileStore`'s scripts; a hash of flat fields from an earlier version
        until its first update."""
        return f"{self.base}:profile:{external_userid}"

    # -- orders and RFM segments ---------------------------------------------------------------
    @property
    def orders(self) -> str:
        """Hash: order id -> JSON {"customer", "amount_cents", "paid_at"}."""
        return f"{self.base}:orders"

    def customer_orders(self, external_userid: str) -> str:
        """Set: the ids of one customer's orders (an index of `orders`, so RFM reads customer
        by customer with memory flat in the number of orders; `OrderStore` keeps it)."""
        return f"{self.base}:orders:of:{external_userid}"

    @property
    def order_customers(self) -> str:
        """Set: every customer with an order (an index of `orders`, see `customer_orders`)."""
        return f"{self.base}:orders:customers"

    @property
    def orders_indexed(self) -> str:
        """String: set once the order indexes cover orders stored before they existed."""
        return f"{self.base}:orders:indexed"

    @property
    def rfm_segments(self) -> str:
        """Hash: external_userid -> JSON of the customer's latest RFM scores and segment."""
        return f"{self.base}:rfm:segments"

    @property
    def rfm_summary(self) -> str:
        """String: JSON of the latest RFM run (averages, counts per segment, time)."""
        return f"{self.base}:rfm:summary"

    @property
    def rfm_lock(self) -> str:
        """Held by the one process recomputing segments and syncing their tags."""
        return f"{self.base}:rfm:lock"

    def rfm_done(self, day: str) -> str:
        """Set once the day's scheduled RFM run finished, so it runs once a day."""
        return f"{self.base}:rfm:done:{day}"

    # -- scheduler (due jobs) ------------------------------------------------------------------
    @property
    def jobs_due(self) -> str:
        """Sorted set: job id -> unix time it is due (ids are idempotent: one per reminder)."""
        return f"{self.base}:jobs:due"

    @property
    def jobs_inflight(self) -> str:
        """Sorted set: claimed job id -> the time its claim lapses (then it is due again)."""
        return f"{self.base}:jobs:inflight"

    @property
    def jobs_attempts(self) -> str:
        """Hash: job id -> failed attempts so far (absent = none)."""
        return f"{self.base}:jobs:attempts"

    @property
    def jobs_failed(self) -> str:
        """Stream: jobs given up on, with the reason — reported, never dropped silently."""
        return f"{self.base}:jobs:failed"

    def member_sends(self, userid: str) -> str:
        """Sorted set: this member's app messages in the last hour (WeCom: 30/min, 1,000/h)."""
        return f"{self.base}:jobs:member:{userid}"

    # -- SOP -----------------------------------------------------------------------------------
    @property
    def sop_rules(self) -> str:
        """Hash: SOP rule id -> rule JSON."""
        return f"{self.base}:sop:rules"

    def sop_task(self, task_id: str) -> str:
        """Hash: one reminder sent to a staff member (rule, step, target, content, status)."""
        return f"{self.base}:sop:task:{task_id}"

    def sop_batch(self, batch_id: str) -> str:
        """Hash of one batch of SOP mass steps (one rule, step and member, due in the same
        minute): "state" open → closed, and "c<n>" the msgid of its n-th WeCom task."""
        return f"{self.base}:sop:batch:{batch_id}"

    def sop_batch_members(self, batch_id: str) -> str:
        """Set of one batch's "<target>|<task id>" entries, until it is made."""
        return f"{self.base}:sop:batch-members:{batch_id}"

    def sop_pending(self, userid: str) -> str:
        """Sorted set: task id -> sent at, the member's reminders not yet marked done."""
        return f"{self.base}:sop:pending:{userid}"

    @property
    def sop_progress(self) -> str:
        """Hash: "<rule id>:sent" and "<rule id>:done" -> reminders of that rule sent and done
        (each counted once, when its task first reaches that state)."""
        return f"{self.base}:sop:progress"

    # -- statistics ----------------------------------------------------------------------------
    def stats_day(self, day: str) -> str:
        """Hash of one corp-time day ("YYYY-MM-DD"): the day's totals ("new", "lost_customer",
        "lost_staff", "transferred", "group_join", "group_leave", "sop_sent", "sop_completed")
        and, for the relations added that day, "lost_after:<n>" (lost n days after the add);
        kept 400 days."""
        return f"{self.base}:stats:day:{day}"

    def stats_staff(self, day: str) -> str:
        """Hash of one day: "<userid>|<metric>" -> count, the same metrics per staff member;
        kept 400 days."""
        return f"{self.base}:stats:staff:{day}"

    def stats_channel(self, day: str) -> str:
        """Hash of one day: "<channel id>|<metric>" -> count, for customers who came through a
        channel code; kept 400 days."""
        return f"{self.base}:stats:channel:{day}"

    @property
    def stats_relations(self) -> str:
        """Hash: "<userid>|<external_userid>" -> "<unix time added>|<channel id>" of each
        customer relation added since statistics began; a field goes when the relation ends."""
        return f"{self.base}:stats:relations"

    def stats_ended(self, relation: str) -> str:
        """String with a TTL (7 days): "<unix time>|<metric>" of a relation's end counted
        before its add (events run concurrently), for the add to settle the cohort."""
        return f"{self.base}:stats:ended:{relation}"

    def stats_seen(self, mark: str) -> str:
        """String with a TTL: this event (stream entry id) was counted already."""
        return f"{self.base}:stats:seen:{mark}"

    # -- admin commands and audit -------------------------------------------------------------
    @property
    def audit(self) -> str:
        """Stream of every configuration change: who, when, what, before and after (capped)."""
        return f"{self.base}:audit"

    def admin_undo(self, userid: str) -> str:
        """List (newest first, capped) of the admin's changes that `撤销` can take back."""
        return f"{self.base}:admin:undo:{userid}"

    def admin_confirm(self, userid: str) -> str:
        """String with a TTL: the destructive command waiting for the admin's confirmation code."""
        return f"{self.base}:admin:confirm:{userid}"

    def admin_pages(self, userid: str) -> str:
        """String with a TTL: the rest of a long reply, for `下一页`."""
        return f"{self.base}:admin:pages:{userid}"

    def admin_seen(self, msgid: str) -> str:
        """String with a TTL: this app message was taken as a command once already."""
        return f"{self.base}:admin:seen:{msgid}"

    def admin_tag(self, tagid: int) -> str:
        """String with a TTL: JSON {"users": [...], "departments": [...]} of an admin tag."""
        return f"{self.base}:admin:tag:{tagid}"

    # -- feature state -----------------------------------------------------------------------
    def kf_cursor(self, open_kfid: str) -> str:
        return f"{self.base}:kf:cursor:{open_kfid}"

    def kf_lock(self, open_kfid: str) -> str:
        """Held while one process pulls an account's messages: pulls must not overlap."""
        return f"{self.base}:kf:lock:{open_kfid}"

    @property
    def chat_history(self) -> str:
        """Stream of recent chat text the bot saw (every source), capped; for profiles and audit."""
        return f"{self.base}:chat:history"


def secret_id(secret: str) -> str:
    """A short, stable, non-reversible id for a secret, so keys never carry the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]
