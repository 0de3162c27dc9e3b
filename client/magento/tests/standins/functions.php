<?php
// Test stand-in of Magento's translation function: sprintf-style %1, %2.
function __($text, ...$args)
{
    foreach ($args as $i => $arg) {
        $text = str_replace('%' . ($i + 1), (string) $arg, $text);
    }
    return $text;
}
