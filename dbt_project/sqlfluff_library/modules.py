"""dbt's `modules` (the Python modules it lends to Jinja) for sqlfluff's jinja templater."""

import datetime  # noqa: F401 - read by templates as modules.datetime
import re  # noqa: F401 - read by templates as modules.re
