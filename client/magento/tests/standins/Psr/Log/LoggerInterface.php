<?php
// Test stand-in: the two PSR-3 methods the glue calls.
namespace Psr\Log;

interface LoggerInterface
{
    public function warning(string|\Stringable $message, array $context = []): void;

    public function error(string|\Stringable $message, array $context = []): void;
}
