"""FastAPI's security tutorial ("OAuth2 with Password (and hashing), Bearer
with JWT tokens", the Python 3.8 form of the code, without Annotated, which
Debian's FastAPI 0.92 predates), as a resource server for our tokens.

Changed from the tutorial: SECRET_KEY is auth's public key (the PEM file
named by CGI_PUBLIC_KEY_FILE), ALGORITHM is "EdDSA", and jwt.decode() is
told the audience (RFC 9068's tokens carry "aud", which PyJWT refuses unless
it is told which to expect).  The user database holds alice, the user of
tests/integration/oauth.bats, beside the tutorial's johndoe.  The tutorial's
own /token route is left out: tokens come from our auth.
"""
import os
from typing import Union

import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jwt.exceptions import InvalidTokenError
from pydantic import BaseModel

with open(os.environ["CGI_PUBLIC_KEY_FILE"]) as f:
    SECRET_KEY = f.read()
ALGORITHM = "EdDSA"
AUDIENCE = "cgi-microservices"

fake_users_db = {
    "johndoe": {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "hashed_password": "$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc",
        "disabled": False,
    },
    "alice": {
        "username": "alice",
        "full_name": "Alice",
        "email": "alice@example.com",
        "hashed_password": "(in auth's AUTH_USERS_FILE)",
        "disabled": False,
    },
}


class TokenData(BaseModel):
    username: Union[str, None] = None


class User(BaseModel):
    username: str
    email: Union[str, None] = None
    full_name: Union[str, None] = None
    disabled: Union[bool, None] = None


class UserInDB(User):
    hashed_password: str


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

app = FastAPI()


def get_user(db, username: str):
    if username in db:
        user_dict = db[username]
        return UserInDB(**user_dict)


async def get_current_user(token: str = Depends(oauth2_scheme)):
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM],
                             audience=AUDIENCE)
        username: str = payload.get("sub")
        if username is None:
            raise credentials_exception
        token_data = TokenData(username=username)
    except InvalidTokenError:
        raise credentials_exception
    user = get_user(fake_users_db, username=token_data.username)
    if user is None:
        raise credentials_exception
    return user


async def get_current_active_user(current_user: User = Depends(get_current_user)):
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


@app.get("/users/me/", response_model=User)
async def read_users_me(current_user: User = Depends(get_current_active_user)):
    return current_user
