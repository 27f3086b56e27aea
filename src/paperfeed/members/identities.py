"""Members who sign in through an OpenID Connect provider (OpenID Connect Core 1.0).

The provider's verified ID token names the person by issuer and subject
(``iss``, ``sub``; §2), the only pair that identifies them for good (§5.7).
The first sign-in links that pair to a member:

1. the member signed in right now (connecting a provider from the account page);
2. else the member whose confirmed address the provider says it verified
   (``email_verified``), so people who signed up with a password keep their account;
3. else a new member, named after ``preferred_username``, the address or the name
   (made unique), with no password: they sign in through the provider, or set a
   password with "Forgot your password?".

Later sign-ins find the member by the pair, whatever the token's email says then.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.members.accounts import EMAIL, USERNAME
from paperfeed.db import identities as identities_repo
from paperfeed.db import users as users_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import NO_PASSWORD, UserRow
from paperfeed.errors import InvalidInput


def member_for_identity(engine: sa.Engine, claims: dict, *, signed_in: UserRow | None = None) -> UserRow:
    """The member the provider's verified ``claims`` belong to, linked or created as above."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject or len(issuer) > 500 or len(subject) > 255:
        raise InvalidInput("the provider's answer names no account (iss and sub)", field="id_token")
    email = _verified_email(claims)
    with write_transaction(engine) as connection:
        linked = identities_repo.user_id_of_identity(connection, issuer, subject)
        if linked is not None:
            user = users_repo.get_user(connection, linked)
        else:
            user = signed_in
            if user is None and email:
                found = users_repo.find_by_email(connection, email)
                user = found if found is not None and found.email_confirmed else None
            if user is None:
                taken = users_repo.find_by_email(connection, email) if email else None
                user_id = users_repo.add_user(
                    connection, username=_free_username(connection, claims), email=None if taken else email,
                    password_hash=NO_PASSWORD, role="member", now=datetime.now(UTC), confirmed=True)
                user = users_repo.get_user(connection, user_id)
            identities_repo.link_identity(connection, user.id, issuer=issuer, subject=subject, now=datetime.now(UTC))
    if signed_in is not None and user.id != signed_in.id:
        raise InvalidInput("this provider account is connected to another member already", field="id_token")
    return user


def providers_of(connection: sa.Connection, user_id: int) -> list[str]:
    """The issuers a member signs in with."""
    return identities_repo.issuers_of(connection, user_id)


def _verified_email(claims: dict) -> str | None:
    email = str(claims.get("email") or "").strip()
    verified = claims.get("email_verified") in (True, "true")
    return email if verified and EMAIL.fullmatch(email) else None


def _free_username(connection: sa.Connection, claims: dict) -> str:
    """A valid, unused name from what the provider tells about the person."""
    for wish in (claims.get("preferred_username"), str(claims.get("email") or "").split("@")[0], claims.get("name")):
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(wish or "")).strip("-._")[:28]
        if USERNAME.fullmatch(base):
            break
    else:
        base = "member"
    name, number = base, 1
    while users_repo.find_by_username(connection, name) is not None:
        number += 1
        name = f"{base[:28]}{number}"
    return name
