"""The hourly clean-up job deletes what has expired and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.db import models as m
from app.domain.accounts.jobs import delete_expired_credentials
from app.lib import rate_limit
from app.lib.database import get_alchemy_config
from app.server.plugins import get_saq_plugin
from tests.support.accounts import create_user


async def test_expired_sessions_tokens_and_windows_are_deleted_and_live_ones_kept():
    user = await create_user()
    now = datetime.now(UTC)
    async with get_alchemy_config().get_session() as session:
        for name, expires_at in (("old", now - timedelta(seconds=1)), ("live", now + timedelta(days=1))):
            session.add(m.UserSession(session_id=f"{name}-session", data=b"{}", expires_at=expires_at, user_id=user.id))
            session.add(m.ApiToken(user_id=user.id, name=name, token_hash=name.ljust(64, "0"), expires_at=expires_at))
            session.add(
                m.AccountToken(
                    user_id=user.id, purpose="verify_email", token_hash=name.ljust(64, "1"), expires_at=expires_at
                )
            )
        session.add(m.ApiToken(user_id=user.id, name="forever", token_hash="f" * 64, expires_at=None))
        await session.commit()
    await rate_limit.hit("finished-window", timedelta(microseconds=1))
    await rate_limit.hit("running-window", timedelta(hours=1))

    counts = await delete_expired_credentials({})  # type: ignore[typeddict-item]

    assert counts == {"sessions": 1, "api_tokens": 1, "account_tokens": 1, "rate_limit_windows": 1}
    async with get_alchemy_config().get_session() as session:
        assert await session.scalar(select(func.count()).select_from(m.UserSession)) == 1
        assert set(await session.scalars(select(m.ApiToken.name))) == {"live", "forever"}
        assert await session.scalar(select(func.count()).select_from(m.AccountToken)) == 1
    assert await rate_limit.current("running-window") is not None
    await get_alchemy_config().get_engine().dispose()


def test_the_clean_up_runs_hourly_on_the_queue():
    [queue] = list(get_saq_plugin().config.queue_configs)
    [cron] = list(queue.scheduled_tasks)
    assert cron.cron == "0 * * * *"
    assert cron.function is delete_expired_credentials
