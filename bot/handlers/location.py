"""A location message: the district it is in, and where an idea is.

The district comes from :func:`pb.geo.district_at` (nearest neighbours over
georeferenced Traffy Fondue reports, 95.6 % right on held-out reports).

* A resident without a district yet gets it set from the location.
* Otherwise the location goes to their newest idea of the last 30 minutes
  if it has none (and no idea is waiting for "support or send as new"),
  else it is held for their next idea (whose similar-idea check then looks
  "near you"). Ideas near a just-located idea are offered to support
  instead (:func:`bot.handlers.similar.offer_near_stored`). If the place is in another district
  than theirs, a quick reply offers to switch.

Nothing is stored before consent; a place outside Bangkok is answered, not
stored.
"""

from __future__ import annotations

import math

from linebot.v3.webhooks import LocationMessageContent

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from bot.handlers import follow, similar
from pb import geo, ideas, photos, residents


def _coordinates(message: LocationMessageContent) -> tuple[float, float] | None:
    lat, lon = float(message.latitude), float(message.longitude)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def switch_label(ctx: Context, shown: str) -> str:
    """"ใช้เขต<place>", or just the place when that would pass LINE's 20-character label limit."""
    label = ctx.t("use_district", place=shown)
    return label if len(label.encode("utf-16-le")) // 2 <= m.LABEL_MAX else shown[:m.LABEL_MAX]


def on_location(ctx: Context) -> None:
    resident = ctx.resident
    if resident is None or not resident.followed:
        follow.on_follow(ctx)
        return
    if not resident.has_consented:
        ctx.reply(m.text(ctx.t("consent_needed")), *follow.consent_prompt(ctx))
        return
    point = _coordinates(ctx.event.message)
    place = geo.district_at(*point) if point else None
    if point is None or place is None:
        ctx.reply(m.text(ctx.t("location_outside")))
        return
    shown = intake.district_shown(ctx, place)
    if resident.district is None:
        residents.set_district(ctx.conn, resident.id, place)
        resident.district = place
        conversation.put(ctx, "held_location", lat=point[0], lon=point[1], district=place)
        ctx.reply(m.text(ctx.t("location_district_set", district=shown)))
        return
    latest = None
    if conversation.get(ctx, "pending_idea") is None:
        latest = ideas.latest_of_resident(ctx.conn, resident.id, photos.HOLD_S)
    if latest is not None and not ideas.has_location(ctx.conn, latest.id):
        ideas.set_location(ctx.conn, latest.id, point[0], point[1])
        replies = [m.text(ctx.t("location_attached", number=f"{latest.id:,}", place=shown))]
        near = similar.offer_near_stored(ctx, latest.id, latest.text, point)
        if near is not None:
            replies += [m.text(ctx.t("similar_intro_near_stored", number=f"{latest.id:,}")), near]
    else:
        conversation.put(ctx, "held_location", lat=point[0], lon=point[1], district=place)
        replies = [m.text(ctx.t("location_held", place=shown))]
    if place != resident.district:
        label = switch_label(ctx, shown)
        replies.append(m.text(
            ctx.t("location_other_district", place=shown,
                  district=intake.district_shown(ctx, resident.district)),
            quick_reply=[m.postback_action(label, m.postback_data("district", d=place),
                                           display_text=label)]))
    ctx.reply(*replies)
