from app.domain.accounts.controllers.auth import AuthController
from app.domain.accounts.controllers.me import MeController
from app.domain.accounts.controllers.users import UserAdminController

__all__ = ("AuthController", "MeController", "UserAdminController")
