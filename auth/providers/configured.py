"""The identity provider of passwords that ``AUTH.PROVIDER`` names: the local one, or a Cognito user pool."""

from auth.providers.cognito import CognitoUserPoolProvider
from auth.providers.local import LocalIdentityProvider


def identity_provider(auth_config, session, passwords, settings):
    if auth_config.get("PROVIDER") == "cognito":
        return CognitoUserPoolProvider(session, auth_config.get("COGNITO"))
    return LocalIdentityProvider(session, passwords, settings)
