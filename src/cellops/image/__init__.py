"""Container images of pipeline packages: build context, Dockerfile, engines.

``base`` holds what every engine shares, ``docker`` and ``buildah`` one engine each,
``context`` the build context (package files, wheels, build secrets) and ``build`` ties them
together for ``cellops build``. Engines are imported only when a build needs one.
"""
